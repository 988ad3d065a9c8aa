"""Study: quizzes, spaced repetition, progress store, deck export."""

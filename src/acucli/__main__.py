from acucli.entry import main

main()

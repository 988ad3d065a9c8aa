from acucli.cli import main

main()

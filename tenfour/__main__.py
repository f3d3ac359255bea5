from tenfour.cli import main

main()

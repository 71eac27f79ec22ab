from flair_hpo.cli import main

main(prog_name="flair-hpo")

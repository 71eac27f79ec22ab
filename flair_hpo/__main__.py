from flair_hpo.frontends.cli import main

main(prog_name="flair-hpo")

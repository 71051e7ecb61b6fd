from rental import create_app

app = create_app()

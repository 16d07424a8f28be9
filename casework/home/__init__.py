"""The signed-in home page: what each role does next."""

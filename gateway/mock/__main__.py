"""`python -m gateway.mock --port N [--host H]`: serve the mock upstream without Django."""

from gateway.mock.server import main

if __name__ == "__main__":
    main()

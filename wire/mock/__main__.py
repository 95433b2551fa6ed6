"""`python -m wire.mock --port N [--host H]`: serve the mock upstream without Django."""

from wire.mock.server import main

if __name__ == "__main__":
    main()

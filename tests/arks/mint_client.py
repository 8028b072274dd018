"""A minting client for the parallel-minting test: run as its own process, it mints through the
service layer in single mints and small batches and prints every ARK it got, one per line."""

import sys

import django


def main(shoulder_text: str, singles: int, batches: int, batch_size: int) -> None:
    django.setup()
    from arks import selectors, services

    shoulder = selectors.find_shoulder(shoulder_text)
    got = []
    for i in range(max(singles, batches)):
        if i < singles:
            got += services.mint(shoulder=shoulder, actor="test:parallel")
        if i < batches:
            got += services.mint(shoulder=shoulder, actor="test:parallel", count=batch_size)
    sys.stdout.write("".join(f"{ark.ark}\n" for ark in got))


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:5]))

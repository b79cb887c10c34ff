#!/usr/bin/env python3
"""Writes N realistic import lines (email[,55,phone]) to a file: two in three rows carry a phone.

Usage: gen_csv.py N OUT.csv
"""
import sys

FIRST = ["ana", "bruno", "carla", "diego", "elena", "felipe", "gabriela", "hugo", "isabel", "joao",
         "karin", "lucas", "maria", "nuno", "olivia", "pedro"]
LAST = ["silva", "santos", "oliveira", "souza", "lima", "pereira", "costa", "almeida", "smith", "rossi"]
DOMAINS = ["acme.com", "acme.com.br", "acme.de", "contractors.acme.com"]


def main() -> None:
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", newline="") as f:
        lines = []
        for i in range(n):
            email = f"{FIRST[i % 16]}.{LAST[(i // 16) % 10]}{i}@{DOMAINS[(i // 7) % 4]}"
            if i % 3 == 0:
                lines.append(f"{email}\r\n")
            else:
                lines.append(f"{email},55,119{(i * 7919) % 100_000_000:08d}\r\n")
            if len(lines) == 10_000:
                f.write("".join(lines))
                lines.clear()
        f.write("".join(lines))


if __name__ == "__main__":
    main()

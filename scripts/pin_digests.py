"""Print the byte-identity pins of tests/test_output_identity.py for both CPU families, from one AVX-512 machine.

numpy picks its SIMD kernels at run time; ``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"`` makes it
take the AVX2 (X86_V3) kernels, which reproduced the pins taken on an AVX2-only AMD EPYC byte for byte
(2026-12-02, commit ab791f9). So a behaviour change can re-pin both families here:

    .venv/bin/python scripts/pin_digests.py

runs ``hashpivot run baseline --seed S --days 730`` for each seed and family and prints the dict to paste.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_output_identity import SEEDS, _digests  # noqa: E402

FAMILIES = {"avx512": {}, "avx2": {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}}


def main() -> None:
    """Run both families and print their pins."""
    from numpy._core._multiarray_umath import __cpu_features__

    if not __cpu_features__.get("X86_V4", __cpu_features__.get("AVX512F")):
        sys.exit("pin_digests: this CPU has no AVX-512; only the avx2 pins can be taken here")
    cli = Path(sys.executable).parent / "hashpivot"
    for family, env in FAMILIES.items():
        print(f'    "{family}": {{\n        "skip_columns": (),')
        for seed in SEEDS:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "run"
                args = [str(cli), "run", "baseline", "--seed", str(seed), "--days", "730", "--out", str(out)]
                subprocess.run(args, check=True, capture_output=True, env={**os.environ, **env})
                print(f"        {seed}: {{")
                for name, digest in _digests(out, ()).items():
                    print(f'            "{name}": "{digest}",')
                print("        },")
        print("    },")


if __name__ == "__main__":
    main()

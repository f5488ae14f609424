"""Vendor the console's graph-layout library (dagre, from the npm registry) into the package.

``python3 ui/vendor.py`` does nothing when ``src/statewise/ui/static/vendor/`` already holds
exactly what ``ui/package-lock.json`` pins (checked by version, integrity and file hashes in
``VENDOR.json``), so ``make`` works offline after a clone; otherwise it runs ``npm ci`` in
``build/ui`` and copies the minified bundle and licences. ``--check`` only reports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "ui"
BUILD = ROOT / "build" / "ui"
VENDOR = ROOT / "src" / "statewise" / "ui" / "static" / "vendor"
MANIFEST = VENDOR / "VENDOR.json"
# (npm package, file inside it, name under vendor/). dagre.min.js bundles graphlib.
FILES = [
    ("@dagrejs/dagre", "dist/dagre.min.js", "dagre.min.js"),
    ("@dagrejs/dagre", "LICENSE", "dagre.LICENSE"),
    ("@dagrejs/graphlib", "LICENSE", "graphlib.LICENSE"),
]


def pinned() -> dict[str, dict[str, str]]:
    """Version and integrity of each vendored package, as the lock file pins them."""
    lock = json.loads((UI / "package-lock.json").read_text(encoding="utf-8"))
    packages = {}
    for name in sorted({package for package, _, _ in FILES}):
        entry = lock["packages"][f"node_modules/{name}"]
        packages[name] = {"version": entry["version"], "integrity": entry["integrity"]}
    return packages


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def current() -> str | None:
    """None when vendor/ matches the lock file, else what is out of date."""
    if not MANIFEST.exists():
        return f"{MANIFEST.relative_to(ROOT)} is missing"
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    if manifest.get("packages") != pinned():
        return "ui/package-lock.json pins other versions than vendor/ holds"
    for _, _, target in FILES:
        path = VENDOR / target
        if not path.exists() or manifest.get("files", {}).get(target) != sha256(path):
            return f"{path.relative_to(ROOT)} differs from what was vendored"
    return None


def build() -> None:
    """Install the pinned packages with npm and copy their files into vendor/."""
    BUILD.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(UI / name, BUILD / name)
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=BUILD, check=True
    )
    VENDOR.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for package, source, target in FILES:
        data = (BUILD / "node_modules" / package / source).read_bytes()
        if target.endswith(".js"):
            # The source map is not shipped; drop its reference so browsers do not ask for it.
            lines = data.decode("utf-8").splitlines(keepends=True)
            data = "".join(x for x in lines if not x.startswith("//# sourceMappingURL")).encode()
        (VENDOR / target).write_bytes(data)
        hashes[target] = hashlib.sha256(data).hexdigest()
    manifest = {"packages": pinned(), "files": hashes}
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if stale")
    parser.add_argument("--force", action="store_true", help="vendor again even if current")
    args = parser.parse_args()
    problem = current()
    if args.check:
        print(problem or "console assets are up to date")
        return 1 if problem else 0
    if problem is None and not args.force:
        print("console assets are up to date")
        return 0
    print(f"vendoring console assets: {problem or 'forced'}")
    build()
    problem = current()
    if problem:
        print(f"vendoring failed: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

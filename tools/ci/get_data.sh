#!/bin/sh
# `make data`: fetch and verify MNIST and Fashion-MNIST into the cache, $NPGRAD_DATA (the
# Makefile sets it to the repository's data/; npgrad's own default is ~/.cache/npgrad).
#
# Fashion-MNIST's offline source is Debian's dataset-fashion-mnist package. When no copy is
# cached and the package is missing, it is installed if apt-get may run here (as root, or through
# password-less sudo), and the run says so. Otherwise npgrad.datasets tries its other sources and,
# failing those, prints what to do by hand.
set -u
PY="$1"
DEBIAN_DIR=/usr/share/datasets/fashion-mnist
cache=$("$PY" -c 'from npgrad.datasets import data_root; print(data_root())')/fashion-mnist

cached=yes
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
            t10k-labels-idx1-ubyte; do
  [ -f "$cache/$name" ] || cached=no
done

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

if [ "$cached" = no ] && [ ! -d "$DEBIAN_DIR" ] && command -v apt-get >/dev/null 2>&1 &&
   { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
  echo "make data: Fashion-MNIST is not cached; installing Debian's dataset-fashion-mnist package"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist ||
    { as_root apt-get update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; } ||
    echo "make data: apt-get could not install dataset-fashion-mnist; trying the other sources"
fi
"$PY" -m npgrad.datasets fetch ||
  { echo "make data: data/README.md says where else to get the files" >&2; exit 1; }

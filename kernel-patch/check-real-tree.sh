#!/usr/bin/env bash
# Check the patch series against the real kernel tree it targets: Debian
# 12's linux-source-6.1 and linux-headers for the same release, fetched
# from Debian's archive now (nothing of the kernel is committed).
#
#   1. git apply --check, then git am, of the series on the files it touches
#   2. scripts/checkpatch.pl --strict from that source package: no error,
#      warning or check
#   3. the patched vfio_iommu_type1.c (with the patched uapi vfio.h) built
#      as an out-of-tree module object against Debian's 6.1 headers with
#      kbuild's flags plus W=1: no compiler warning
#   4. every symbol the object needs is exported by that kernel
#      (Module.symvers) or by patch 1/2 (mm_access)
#
# Usage: kernel-patch/check-real-tree.sh [WORKDIR]   (default /tmp/kpatch-real)
# Needs root or sudo for apt-get install of the headers when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/kpatch-real}
mkdir -p "$work"
cd "$work"

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
apt_get() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

files=(kernel/fork.c drivers/vfio/Kconfig drivers/vfio/vfio_iommu_type1.c
       drivers/vfio/vfio.h include/uapi/linux/vfio.h
       scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)

# --- fetch ---
deb=$(ls linux-source-6.1_*_all.deb 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$deb" ]; then
	apt_get update -qq
	(umask 022 && apt-get download linux-source-6.1 >/dev/null 2>&1) ||
		{ apt_get download linux-source-6.1 >/dev/null; }
	deb=$(ls linux-source-6.1_*_all.deb | sort -V | tail -1)
fi
srcver=${deb#linux-source-6.1_}
srcver=${srcver%_all.deb}
if [ ! -f "src/.extracted-$srcver" ]; then
	rm -rf src pkg && mkdir -p src pkg
	dpkg-deb -x "$deb" pkg
	tar -xf pkg/usr/src/linux-source-6.1.tar.xz -C src --strip-components=1 \
		"${files[@]/#/linux-source-6.1/}"
	rm -rf pkg
	touch "src/.extracted-$srcver"
fi
echo "kernel source: Debian linux-source-6.1 $srcver"

if ! dpkg-query -W -f='${Status}' linux-headers-amd64 2>/dev/null | grep -q "install ok installed"; then
	apt_get update -qq
	apt_get install -y -qq linux-headers-amd64 >/dev/null
fi
kdir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 | sort -V | tail -1)
hdrver=$(dpkg-query -W -f='${Version}' linux-headers-amd64)
echo "kernel headers: $kdir (linux-headers-amd64 $hdrver)"

# --- 1. apply ---
rm -rf tree && mkdir tree
for f in "${files[@]}"; do
	mkdir -p "tree/$(dirname "$f")"
	cp "src/$f" "tree/$f"
done
git -C tree init -q
git -C tree add -A
git -C tree -c user.name=base -c user.email=base@invalid commit -qm base
series=("$here"/0*.patch)
for p in "${series[@]}"; do
	git -C tree apply --check "$p"
	git -C tree -c user.name=check -c user.email=check@invalid am -q "$p"
	echo "applies: $(basename "$p")"
done

# --- 2. checkpatch ---
for p in "${series[@]}"; do
	out=$(perl src/scripts/checkpatch.pl --strict --no-tree "$p" 2>&1 || true)
	if ! grep -q "total: 0 errors, 0 warnings, 0 checks" <<<"$out"; then
		echo "$out"
		echo "check-real-tree: checkpatch --strict is not clean for $(basename "$p")" >&2
		exit 1
	fi
	echo "checkpatch --strict clean: $(basename "$p")"
done

# --- 3. build ---
rm -rf mod && mkdir -p mod/ovl/uapi/linux
cp tree/drivers/vfio/vfio_iommu_type1.c tree/drivers/vfio/vfio.h mod/
cp tree/include/uapi/linux/vfio.h mod/ovl/uapi/linux/vfio.h
# The patched uapi header comes before the headers package's own copy.
printf 'obj-m := vfio_iommu_type1.o\nNOSTDINC_FLAGS += -I$(src)/ovl\n' > mod/Kbuild
log=$(make -C "$kdir" M="$work/mod" W=1 vfio_iommu_type1.o 2>&1) || {
	echo "$log"
	echo "check-real-tree: the patched vfio_iommu_type1.c does not build" >&2
	exit 1
}
if grep -E "warning:|error:" <<<"$log"; then
	echo "check-real-tree: compiler warnings in the patched file" >&2
	exit 1
fi
grep -q VFIO_IOMMU_BIND mod/ovl/uapi/linux/vfio.h
echo "builds as a module object against $(basename "$kdir") with W=1, no warnings"

# --- 4. symbols ---
missing=()
for s in $(nm -u mod/vfio_iommu_type1.o | awk '{print $2}'); do
	[ "$s" = __this_module ] && continue
	[ "$s" = mm_access ] && continue # exported by patch 1/2
	grep -qP "\t$s\t" "$kdir/Module.symvers" || missing+=("$s")
done
if [ ${#missing[@]} -ne 0 ]; then
	echo "check-real-tree: not exported by the kernel: ${missing[*]}" >&2
	exit 1
fi
grep -q '^+EXPORT_SYMBOL_GPL(mm_access);' "$here"/0001-*.patch
echo "every symbol it uses is exported (mm_access by patch 1/2)"
echo "check-real-tree: PASS"

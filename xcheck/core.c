/* SPDX-License-Identifier: MIT */
/*
 * ELF core files as physical memory images (libelf): PT_LOAD segments
 * are physical memory at p_paddr, as QEMU's dump-guest-memory and Linux
 * kdump / /proc/vmcore write them.
 */
#include "xcheck/xcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static bool libelf_ready(void)
{
	return elf_version(EV_CURRENT) != EV_NONE;
}

/* --- reading ------------------------------------------------------------ */

struct seg {
	unsigned index;     /* program header number, for messages */
	uint64_t paddr, memsz, offset, filesz;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return (x->paddr > y->paddr) - (x->paddr < y->paddr);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copy one segment's file bytes, page by page, skipping zero pages:
 * untouched RAM already reads as zero and stays unbacked. */
static bool copy_seg(Elf *e, struct pmem *mem, const struct seg *s,
		     const char *path, char *err, size_t errlen)
{
	const uint8_t *p;
	Elf_Data *d;
	uint64_t done = 0;

	if (!s->filesz)
		return true;
	d = elf_getdata_rawchunk(e, (int64_t)s->offset, s->filesz, ELF_T_BYTE);
	if (!d || !d->d_buf || d->d_size != s->filesz) {
		errf(err, errlen, "%s: program header %u: cannot read its "
		     "%llu bytes at offset 0x%llx: %s", path, s->index,
		     (unsigned long long)s->filesz,
		     (unsigned long long)s->offset, elf_errmsg(-1));
		return false;
	}
	p = d->d_buf;
	while (done < s->filesz) {
		uint64_t pa = s->paddr + done;
		uint64_t n = PMEM_PAGE_SIZE - (pa & (PMEM_PAGE_SIZE - 1));

		if (n > s->filesz - done)
			n = s->filesz - done;
		if (!all_zero(p + done, n) &&
		    pmem_write(mem, pa, p + done, n, NULL) != MEM_OK) {
			errf(err, errlen, "%s: program header %u: cannot store "
			     "at 0x%llx", path, s->index,
			     (unsigned long long)pa);
			return false;
		}
		done += n;
	}
	return true;
}

static bool collect(Elf *e, const char *path, uint64_t file_size,
		    struct seg **out, size_t *nout, char *err, size_t errlen)
{
	size_t phnum, n = 0;
	struct seg *v;

	if (elf_getphdrnum(e, &phnum) != 0) {
		errf(err, errlen, "%s: bad program header table: %s", path,
		     elf_errmsg(-1));
		return false;
	}
	v = calloc(phnum ? phnum : 1, sizeof(*v));
	if (!v) {
		errf(err, errlen, "%s: out of memory", path);
		return false;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			errf(err, errlen, "%s: program header %zu: %s", path,
			     i, elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz) {
			errf(err, errlen, "%s: program header %zu: p_filesz "
			     "0x%llx exceeds p_memsz 0x%llx", path, i,
			     (unsigned long long)ph.p_filesz,
			     (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (ph.p_offset > file_size ||
		    ph.p_filesz > file_size - ph.p_offset) {
			errf(err, errlen, "%s: program header %zu: its data "
			     "(offset 0x%llx, 0x%llx bytes) runs past the end "
			     "of the file (0x%llx bytes): truncated?", path, i,
			     (unsigned long long)ph.p_offset,
			     (unsigned long long)ph.p_filesz,
			     (unsigned long long)file_size);
			goto fail;
		}
		if (ph.p_paddr >= PMEM_ADDR_LIMIT ||
		    ph.p_memsz > PMEM_ADDR_LIMIT - ph.p_paddr) {
			errf(err, errlen, "%s: program header %zu: physical "
			     "range 0x%llx + 0x%llx is beyond 56 bits", path,
			     i, (unsigned long long)ph.p_paddr,
			     (unsigned long long)ph.p_memsz);
			goto fail;
		}
		v[n++] = (struct seg){ (unsigned)i, ph.p_paddr, ph.p_memsz,
				       ph.p_offset, ph.p_filesz };
	}
	if (!n) {
		errf(err, errlen, "%s: no PT_LOAD segment: no physical memory "
		     "in this core", path);
		goto fail;
	}
	qsort(v, n, sizeof(*v), seg_cmp);
	for (size_t i = 1; i < n; i++) {
		if (v[i - 1].paddr + v[i - 1].memsz > v[i].paddr) {
			errf(err, errlen, "%s: program headers %u and %u "
			     "overlap at physical address 0x%llx (is p_paddr "
			     "set? this is not a physical memory dump)", path,
			     v[i - 1].index, v[i].index,
			     (unsigned long long)v[i].paddr);
			goto fail;
		}
	}
	*out = v;
	*nout = n;
	return true;
fail:
	free(v);
	return false;
}

bool xc_core_load(const char *path, struct pmem *mem,
		  struct xc_core_info *info, char *err, size_t errlen)
{
	struct xc_core_info inf = { 0 };
	struct seg *v = NULL;
	size_t n = 0;
	struct stat st;
	GElf_Ehdr eh;
	bool ok = false;
	Elf *e = NULL;
	int fd;

	if (!libelf_ready()) {
		errf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return false;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		errf(err, errlen, "%s: not an ELF file", path);
		goto out;
	}
	if (!gelf_getehdr(e, &eh)) {
		errf(err, errlen, "%s: bad ELF header: %s", path,
		     elf_errmsg(-1));
		goto out;
	}
	if (eh.e_type != ET_CORE) {
		errf(err, errlen, "%s: not an ELF core file (e_type %u, "
		     "expected ET_CORE 4)", path, (unsigned)eh.e_type);
		goto out;
	}
	if (!collect(e, path, (uint64_t)st.st_size, &v, &n, err, errlen))
		goto out;
	/* One RAM region per run of adjacent segments */
	for (size_t i = 0; i < n;) {
		uint64_t base = v[i].paddr, end = base + v[i].memsz;
		size_t j = i + 1;

		for (; j < n && v[j].paddr == end; j++)
			end = v[j].paddr + v[j].memsz;
		if (pmem_add_ram(mem, base, end - base) < 0) {
			errf(err, errlen, "%s: cannot add RAM at 0x%llx-0x%llx "
			     "(overlaps memory already present)", path,
			     (unsigned long long)base,
			     (unsigned long long)(end - 1));
			goto out;
		}
		inf.regions++;
		inf.mem_bytes += end - base;
		i = j;
	}
	for (size_t i = 0; i < n; i++) {
		if (!copy_seg(e, mem, &v[i], path, err, errlen))
			goto out;
		inf.file_bytes += v[i].filesz;
	}
	inf.segments = (unsigned)n;
	if (info)
		*info = inf;
	ok = true;
out:
	free(v);
	if (e)
		elf_end(e);
	close(fd);
	return ok;
}

/* --- writing ------------------------------------------------------------ */

struct page_ref {
	uint64_t pa;
	const uint8_t *data;
};

struct page_vec {
	struct page_ref *v;
	size_t n, cap;
	bool oom;
};

static void add_page(void *ctx, uint64_t pa, const uint8_t *page)
{
	struct page_vec *pv = ctx;

	if (pv->oom)
		return;
	if (pv->n == pv->cap) {
		size_t ncap = pv->cap ? pv->cap * 2 : 256;
		struct page_ref *nv = realloc(pv->v, ncap * sizeof(*nv));

		if (!nv) {
			pv->oom = true;
			return;
		}
		pv->v = nv;
		pv->cap = ncap;
	}
	pv->v[pv->n++] = (struct page_ref){ pa, page };
}

/* A segment to write: backed pages [first, first + npages) of the page
 * vector, or a zero-fill gap (npages = 0). */
struct out_seg {
	uint64_t pa, len;
	size_t first, npages;
};

struct seg_vec {
	struct out_seg *v;
	size_t n, cap;
};

static bool push_seg(struct seg_vec *sv, struct out_seg s)
{
	if (sv->n == sv->cap) {
		size_t ncap = sv->cap ? sv->cap * 2 : 64;
		struct out_seg *nv = realloc(sv->v, ncap * sizeof(*nv));

		if (!nv)
			return false;
		sv->v = nv;
		sv->cap = ncap;
	}
	sv->v[sv->n++] = s;
	return true;
}

/* Plan the segments: runs of backed pages and the gaps between them,
 * region by region. */
static bool plan(struct pmem *mem, const struct page_vec *pv,
		 struct seg_vec *sv)
{
	uint64_t rbase = 0, rsize = 0, pos = 0;
	bool in_region = false;

	for (size_t i = 0; i < pv->n; i++) {
		uint64_t pa = pv->v[i].pa, base, size;
		enum pmem_region_kind kind;

		if (!pmem_region_at(mem, pa, &kind, &base, &size) ||
		    kind != PMEM_RAM)
			continue;
		if (!in_region || base != rbase) {
			/* close the previous region with its tail gap */
			if (in_region && pos < rbase + rsize &&
			    !push_seg(sv, (struct out_seg){ pos,
					  rbase + rsize - pos, 0, 0 }))
				return false;
			rbase = base;
			rsize = size;
			pos = base;
			in_region = true;
		}
		if (pa > pos && !push_seg(sv, (struct out_seg){ pos, pa - pos,
							       0, 0 }))
			return false;
		if (pa > pos || sv->n == 0 || sv->v[sv->n - 1].npages == 0 ||
		    sv->v[sv->n - 1].pa + sv->v[sv->n - 1].len != pa) {
			if (!push_seg(sv, (struct out_seg){ pa, 0, i, 0 }))
				return false;
		}
		/* pages lie inside their region: a region is page-granular
		 * in the store, but clip to the region for odd sizes */
		uint64_t len = PMEM_PAGE_SIZE;

		if (pa + len > base + size)
			len = base + size - pa;
		sv->v[sv->n - 1].len += len;
		sv->v[sv->n - 1].npages++;
		pos = pa + len;
	}
	if (in_region && pos < rbase + rsize &&
	    !push_seg(sv, (struct out_seg){ pos, rbase + rsize - pos, 0, 0 }))
		return false;
	return true;
}

#define FILE_ALIGN UINT64_C(4096)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool write_elf(int fd, const struct page_vec *pv,
		      const struct seg_vec *sv, struct xc_core_info *inf,
		      const char *path, char *err, size_t errlen)
{
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	uint64_t off;
	bool ok = false;
	Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);

	if (!e)
		goto elf_fail;
	elf_flagelf(e, ELF_C_SET, ELF_F_LAYOUT);
	eh = elf64_newehdr(e);
	if (!eh)
		goto elf_fail;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_AARCH64;
	eh->e_version = EV_CURRENT;
	ph = elf64_newphdr(e, sv->n);
	if (!ph)
		goto elf_fail;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	off = align_up(sizeof(Elf64_Ehdr) + sv->n * sizeof(Elf64_Phdr),
		       FILE_ALIGN);
	for (size_t i = 0; i < sv->n; i++) {
		const struct out_seg *s = &sv->v[i];

		ph[i].p_type = PT_LOAD;
		ph[i].p_flags = PF_R | PF_W;
		ph[i].p_vaddr = s->pa;
		ph[i].p_paddr = s->pa;
		ph[i].p_memsz = s->len;
		if (!s->npages) {
			/* zero-fill RAM: no file bytes */
			ph[i].p_offset = 0;
			ph[i].p_filesz = 0;
			ph[i].p_align = 1;
			continue;
		}
		Elf_Scn *scn = elf_newscn(e);
		Elf64_Shdr *sh = scn ? elf64_getshdr(scn) : NULL;

		if (!sh)
			goto elf_fail;
		sh->sh_type = SHT_PROGBITS;
		sh->sh_flags = SHF_ALLOC | SHF_WRITE;
		sh->sh_addr = s->pa;
		sh->sh_offset = off;
		sh->sh_size = s->len;
		sh->sh_addralign = 1;
		for (size_t p = 0; p < s->npages; p++) {
			const struct page_ref *pr = &pv->v[s->first + p];
			Elf_Data *d = elf_newdata(scn);
			uint64_t len = PMEM_PAGE_SIZE;

			if (!d)
				goto elf_fail;
			if (pr->pa + len > s->pa + s->len)
				len = s->pa + s->len - pr->pa;
			/* libelf only reads application buffers */
			d->d_buf = (void *)(uintptr_t)pr->data;
			d->d_size = len;
			d->d_off = (int64_t)(pr->pa - s->pa);
			d->d_align = 1;
			d->d_type = ELF_T_BYTE;
			d->d_version = EV_CURRENT;
		}
		ph[i].p_offset = off;
		ph[i].p_filesz = s->len;
		ph[i].p_align = FILE_ALIGN;
		inf->file_bytes += s->len;
		off = align_up(off + s->len, FILE_ALIGN);
	}
	eh->e_shoff = align_up(off, 8);
	elf_flagphdr(e, ELF_C_SET, ELF_F_DIRTY);
	if (elf_update(e, ELF_C_WRITE) < 0)
		goto elf_fail;
	ok = true;
	goto out;
elf_fail:
	errf(err, errlen, "%s: libelf: %s", path, elf_errmsg(-1));
out:
	if (e)
		elf_end(e);
	return ok;
}

bool xc_core_save(const char *path, struct pmem *mem,
		  struct xc_core_info *info, char *err, size_t errlen)
{
	struct xc_core_info inf = { 0 };
	struct page_vec pv = { 0 };
	struct seg_vec sv = { 0 };
	bool ok = false;
	int fd = -1;

	if (!libelf_ready()) {
		errf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return false;
	}
	pmem_for_each_page(mem, add_page, &pv);
	if (pv.oom || !plan(mem, &pv, &sv)) {
		errf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (sv.n >= PN_XNUM) {
		errf(err, errlen, "%s: %zu segments: more than an ELF program "
		     "header table holds", path, sv.n);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!write_elf(fd, &pv, &sv, &inf, path, err, errlen))
		goto out;
	for (size_t i = 0; i < sv.n; i++)
		inf.mem_bytes += sv.v[i].len;
	inf.segments = (unsigned)sv.n;
	if (info)
		*info = inf;
	ok = true;
out:
	if (fd >= 0 && close(fd) != 0 && ok) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		ok = false;
	}
	free(pv.v);
	free(sv.v);
	return ok;
}

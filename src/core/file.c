/* File helpers: atomic writes (temporary name + rename) and read-only memory maps.
 * Every result zipscale writes goes through zs_atomic_*; every token file it reads is
 * mapped through zs_mmap_*. */
#include "zipscale/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

zs_status zs_atomic_open(zs_atomic_file *f, const char *path, zs_error *err) {
    f->fp = NULL;
    f->path = strdup(path);
    size_t n = strlen(path) + 16;
    f->tmp_path = malloc(n);
    if (!f->path || !f->tmp_path) {
        free(f->path), free(f->tmp_path);
        f->path = f->tmp_path = NULL;
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory opening %s", path);
    }
    snprintf(f->tmp_path, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        zs_status s = zs_fail(err, ZS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(f->path), free(f->tmp_path);
        f->path = f->tmp_path = NULL;
        return s;
    }
    /* mkstemp makes 0600; results should get the usual umask-governed mode. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        zs_status s = zs_fail(err, ZS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        zs_atomic_abort(f);
        return s;
    }
    return ZS_OK;
}

zs_status zs_atomic_commit(zs_atomic_file *f, zs_error *err) {
    if (!f->fp) return zs_fail(err, ZS_ERR_INTERNAL, "atomic commit of a file not open");
    int bad = ferror(f->fp) || fflush(f->fp) != 0;
    int saved = errno;
    if (fclose(f->fp) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    f->fp = NULL;
    if (bad) {
        zs_status s = zs_fail(err, ZS_ERR_IO, "%s: write failed: %s", f->path, strerror(saved));
        zs_atomic_abort(f);
        return s;
    }
    if (rename(f->tmp_path, f->path) != 0) {
        zs_status s =
            zs_fail(err, ZS_ERR_IO, "%s: cannot rename into place: %s", f->path, strerror(errno));
        zs_atomic_abort(f);
        return s;
    }
    free(f->path), free(f->tmp_path);
    f->path = f->tmp_path = NULL;
    return ZS_OK;
}

void zs_atomic_abort(zs_atomic_file *f) {
    if (!f) return;
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
    if (f->tmp_path) unlink(f->tmp_path);
    free(f->path), free(f->tmp_path);
    f->path = f->tmp_path = NULL;
}

zs_status zs_write_file_atomic(const char *path, const void *data, size_t bytes, zs_error *err) {
    zs_atomic_file f;
    zs_status s = zs_atomic_open(&f, path, err);
    if (s) return s;
    if (bytes && fwrite(data, 1, bytes, f.fp) != bytes) {
        s = zs_fail(err, ZS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        zs_atomic_abort(&f);
        return s;
    }
    return zs_atomic_commit(&f, err);
}

zs_status zs_mmap_open(zs_mmap *m, const char *path, zs_error *err) {
    m->data = NULL;
    m->size = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return zs_fail(err, ZS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return zs_fail(err, ZS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return zs_fail(err, ZS_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return zs_fail(err, ZS_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        }
        m->data = p;
        m->size = (size_t)st.st_size;
    }
    close(fd);
    return ZS_OK;
}

void zs_mmap_close(zs_mmap *m) {
    if (!m) return;
    if (m->data) munmap((void *)m->data, m->size);
    m->data = NULL;
    m->size = 0;
}

zs_status zs_read_file(const char *path, char **data, size_t *len, zs_error *err) {
    *data = NULL;
    if (len) *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return zs_fail(err, ZS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, fp);
        if (n < cap - 1) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf) return zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (bad) {
        free(buf);
        return zs_fail(err, ZS_ERR_IO, "%s: read failed", path);
    }
    buf[n] = '\0';
    *data = buf;
    if (len) *len = n;
    return ZS_OK;
}

int zs_path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

char *zs_path_stem(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return strndup(base, len);
}

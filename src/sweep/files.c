/* A sweep directory's folders and spec file: a folder created when missing, and a spec's
 * text written into a folder as spec.yaml (what `zipscale demo` and the quanta experiments
 * run). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sweep/sweep_internal.h"

zs_status zs_sweep_make_dir(const char *path, zs_error *err) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return ZS_OK;
    return zs_fail(err, ZS_ERR_IO, "%s: cannot create the directory: %s", path, strerror(errno));
}

zs_status zs_sweep_write_spec(const char *dir, const char *text, char *path, size_t size,
                              zs_error *err) {
    if ((size_t)snprintf(path, size, "%s/spec.yaml", dir) >= size)
        return zs_fail_field(err, ZS_ERR_USAGE, "dir", "dir: %s: the path is too long", dir);
    zs_status s = zs_sweep_make_dir(dir, err);
    if (!s) s = zs_write_file_atomic(path, text, strlen(text), err);
    return s;
}

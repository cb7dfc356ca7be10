/* The report's provenance: every input with its kind, size and sha256, the zipscale
 * version, the date (UTC, or the one given), the machine (hostname, CPU model), the seeds,
 * the command line, each law.json's fit and the zipscale that wrote each sweep summary. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report/report_internal.h"

/* The "model name" line of /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t size) {
    snprintf(buf, size, "unknown");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp) return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *colon = strchr(line, ':');
        if (!colon) continue;
        colon += strspn(colon + 1, " \t") + 1;
        snprintf(buf, size, "%.*s", (int)strcspn(colon, "\n"), colon);
        break;
    }
    fclose(fp);
}

static void row(FILE *out, const char *key, const char *value) {
    fputs("<tr><th>", out);
    zs_html_text(out, key);
    fputs("</th><td>", out);
    zs_html_text(out, value);
    fputs("</td></tr>\n", out);
}

zs_status zs_report_provenance(FILE *out, const zs_report_data *data, const zs_report_opts *opts,
                               zs_error *err) {
    char date[64], host[256], cpu[256], seeds[160];
    if (opts->date_utc) {
        snprintf(date, sizeof date, "%s", opts->date_utc);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm) || !strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm))
            return zs_fail(err, ZS_ERR_INTERNAL, "report: cannot format the date");
    }
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    cpu_model(cpu, sizeof cpu);
    snprintf(seeds, sizeof seeds, "H of token files: seed %llu, %llu sequences sampled",
             (unsigned long long)opts->seed, (unsigned long long)opts->sample);
    fputs("<section id=\"provenance\">\n<h2>Provenance</h2>\n<table>\n<tbody>\n", out);
    row(out, "zipscale version", zs_version());
    row(out, "date", date);
    row(out, "hostname", host);
    row(out, "CPU", cpu);
    row(out, "command line", opts->command_line ? opts->command_line : "(library call)");
    row(out, "measurement", seeds);
    for (size_t i = 0; i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_LAW) continue;
        char fit[512];
        snprintf(fit, sizeof fit, "%s: fitted from %s; bootstrap seed %llu, %zu replicates",
                 in->path, in->law.input_path, (unsigned long long)in->law.seed,
                 in->law.bootstrap_replicates);
        row(out, "fit", fit);
    }
    for (size_t i = 0; i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_SWEEP) continue;
        char sweep[512];
        snprintf(sweep, sizeof sweep, "%s: analysed by zipscale %s", in->path,
                 in->sweep.zipscale_version);
        row(out, "sweep", sweep);
    }
    fputs("</tbody>\n</table>\n", out);
    static const char *const cols[] = {"input", "kind", "bytes", "sha256"};
    zs_html_table_head(out, cols, 4);
    for (size_t i = 0; i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        fputs("<tr><td>", out);
        zs_html_text(out, in->path);
        fprintf(out, "</td><td>%s</td><td class=\"num\">%llu</td><td class=\"hash\">%s</td></tr>\n",
                zs_report_kind_name(in->kind), (unsigned long long)in->bytes, in->sha256);
    }
    zs_html_table_tail(out);
    fputs("</section>\n", out);
    return ZS_OK;
}

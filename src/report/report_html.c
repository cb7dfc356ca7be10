/* The report's HTML writing: escaping, numbers, the page's head with its inline CSS
 * (readable at ~1200 px, printable), tables, and figures inlined as SVG. The page is
 * also well-formed XML, so it can be checked with any XML parser. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/markup.h"
#include "report/report_internal.h"

void zs_html_text(FILE *out, const char *text) {
    zs_markup_escape(out, text, 1);
}

void zs_html_num(FILE *out, double v) {
    if (isnan(v))
        fputs("n/a", out);
    else
        fprintf(out, "%.4g", v);
}

void zs_html_td_num(FILE *out, double v) {
    fputs("<td class=\"num\">", out);
    zs_html_num(out, v);
    fputs("</td>", out);
}

void zs_html_td_text(FILE *out, const char *text) {
    fputs("<td>", out);
    zs_html_text(out, text);
    fputs("</td>", out);
}

static const char css[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1200px;margin:0 "
    "auto;padding:0 24px 48px;color:#222;line-height:1.45}\n"
    "h1{font-size:1.8em;margin:24px 0 4px}h2{font-size:1.35em;margin-top:36px;border-bottom:"
    "1px solid #ccc;padding-bottom:4px}h3{font-size:1.1em}\n"
    "p.meta{color:#555;margin-top:0}\n"
    "nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px}\n"
    "table{border-collapse:collapse;margin:12px 0;font-size:0.92em}\n"
    "th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}\n"
    "th{background:#f3f3f3;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-"
    "nums;"
    "white-space:nowrap}\n"
    "td.hash{font-family:'DejaVu Sans Mono',monospace;font-size:0.85em;word-break:break-all}\n"
    "figure{margin:16px 12px 16px 0;display:inline-block;width:calc(50% - 16px);"
    "vertical-align:top}\n"
    "figure svg{width:100%;max-width:100%;height:auto;display:block}\n"
    "figcaption{color:#555;font-size:0.9em}\n"
    "@media (max-width:900px){figure{width:100%}}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}nav{display:none}"
    "h2{break-after:avoid}figure,table{break-inside:avoid}}\n";

void zs_html_head(FILE *out, const char *title) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n", out);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n", out);
    fputs("<title>", out);
    zs_html_text(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
    zs_html_text(out, title);
    fputs("</h1>\n", out);
}

void zs_html_tail(FILE *out) {
    fputs("</body>\n</html>\n", out);
}

zs_status zs_html_figure(FILE *out, zs_plot *fig, const char *caption, zs_error *err) {
    char *svg = NULL;
    size_t len = 0;
    zs_status s = zs_plot_svg(fig, &svg, &len, err);
    zs_plot_free(fig);
    if (s) return s;
    /* inline SVG takes no XML declaration */
    const char *start = strstr(svg, "<svg");
    if (!start) {
        free(svg);
        return zs_fail(err, ZS_ERR_INTERNAL, "report: a figure's SVG has no <svg> element");
    }
    fputs("<figure>\n", out);
    fwrite(start, 1, len - (size_t)(start - svg), out);
    fputs("<figcaption>", out);
    zs_html_text(out, caption);
    fputs("</figcaption>\n</figure>\n", out);
    free(svg);
    return ZS_OK;
}

void zs_html_table_head(FILE *out, const char *const *cells, size_t n) {
    fputs("<table>\n<thead><tr>", out);
    for (size_t i = 0; i < n; i++) {
        fputs("<th>", out);
        zs_html_text(out, cells[i]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
}

void zs_html_table_tail(FILE *out) {
    fputs("</tbody>\n</table>\n", out);
}

/*
 * report_html_charts.c -- the charts of campaign.html, drawn in the browser by
 * Chart.js (Debian's libjs-chart.js), which is inlined into the page at report
 * time so the page stays one self-contained file that works offline.
 *
 * Chart.js rather than gnuplot's SVG (what afl-plot uses): its charts carry
 * tooltips, legends that hide a curve, and they stay readable at 8 h x 1,000
 * samples per engine; gnuplot would add a process and a package per report for
 * static pictures.
 *
 * The page carries its data as one JSON island (<script type=application/json>):
 * the samples of every engine, the coverage unit of each engine and the times at
 * which each unique finding was first seen.  The script below draws, each on a
 * linear time axis in seconds with mm:ss / h:mm ticks:
 *   exec/s per engine and in total; corpus size per engine; coverage, one chart
 *   per unit (libFuzzer's cov and AFL++'s edges cannot share an axis); unique
 *   findings over time as steps.
 * A curve starts at its engine's first sample.  When Chart.js is missing the
 * page says so where the charts would be; the tables do not need it.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "report_campaign.h"

#define CHARTJS_DEFAULT "/usr/share/javascript/chart.js/chart.min.js"

/* The script that turns the data island into charts.  It marks <body> with
   data-charts (charts drawn), data-chart-ms (time to draw them) and
   data-load-ms (time since navigation) and data-errors (script errors seen),
   which the browser test reads. */
static const char *const page_js =
    "(function(){\n"
    "var errors=[];window.addEventListener('error',function(e){errors.push(String(e.message));"
    "document.body.dataset.errors=errors.join(' | ');});\n"
    "var t0=performance.now();\n"
    "var D=JSON.parse(document.getElementById('shmf-data').textContent);\n"
    "var colors=['#1f77b4','#d62728','#2ca02c','#9467bd','#ff7f0e','#8c564b'];\n"
    "function clock(s){s=Math.round(s);var h=Math.floor(s/3600),m=Math.floor(s%3600/60),"
    "x=s%60;function p(n){return(n<10?'0':'')+n;}return h?h+':'+p(m)+':'+p(x):m+':'+p(x);}\n"
    "function engines(){var e=[];D.series.forEach(function(s){if(e.indexOf(s.engine)<0)"
    "e.push(s.engine);});return e;}\n"
    "function points(engine,key){return D.series.filter(function(s){return s.engine===engine&&"
    "s[key]!==null&&s[key]!==undefined;}).map(function(s){return{x:s.t,y:s[key]};});}\n"
    "function total(key){var last={},out=[];var all=D.series.filter(function(s){return "
    "s[key]!==null&&s[key]!==undefined;}).slice().sort(function(a,b){return a.t-b.t;});"
    "all.forEach(function(s){last[s.engine]=s[key];var sum=0;for(var k in last)sum+=last[k];"
    "out.push({x:s.t,y:sum});});return out;}\n"
    "function chart(id,title,ytitle,datasets,stepped){var c=document.getElementById(id);"
    "if(!c)return;if(!window.Chart){return;}\n"
    " new Chart(c,{type:'line',data:{datasets:datasets.map(function(d,i){return{label:d.label,"
    "data:d.data,borderColor:d.color||colors[i%colors.length],backgroundColor:d.color||"
    "colors[i%colors.length],borderWidth:d.dash?1.5:2,borderDash:d.dash||[],pointRadius:"
    "d.data.length>60?0:2,stepped:stepped?'before':false,fill:false};})},\n"
    " options:{animation:false,parsing:false,normalized:true,responsive:false,"
    "plugins:{title:{display:true,text:title},legend:{display:true,position:'bottom'},"
    "decimation:{enabled:true,algorithm:'lttb',samples:400}},\n"
    " scales:{x:{type:'linear',min:0,suggestedMax:D.budget_s||undefined,title:{display:true,"
    "text:'time since start (h:mm:ss / m:ss)'},ticks:{callback:function(v){return clock(v);},"
    "maxTicksLimit:10}},y:{beginAtZero:true,title:{display:true,text:ytitle},"
    "ticks:{precision:0}}}}});c.dataset.drawn='1';}\n"
    "function draw(){var E=engines();\n"
    " var rate=E.map(function(e){return{label:e,data:points(e,'exec_per_s')};});\n"
    " if(E.length>1)rate.push({label:'total',data:total('exec_per_s'),color:'#444',"
    "dash:[6,3]});\n"
    " chart('c-rate','Executions per second','executions / s',rate);\n"
    " chart('c-corpus','Corpus size','inputs',E.map(function(e){return{label:e,"
    "data:points(e,'corpus_size')};}));\n"
    " Object.keys(D.units).forEach(function(u,i){chart('c-cov-'+i,'Coverage ('+u+')',"
    "u,D.units[u].map(function(e){return{label:e,data:points(e,'coverage')};}));});\n"
    " var f=D.findings_t.slice().sort(function(a,b){return a-b;}).map(function(t,i){"
    "return{x:t,y:i+1};});if(f.length)f.unshift({x:0,y:0});var end=D.duration_s||0;"
    "if(f.length&&end>f[f.length-1].x)f.push({x:end,y:f[f.length-1].y});\n"
    " chart('c-findings','Unique findings over time','unique signatures',"
    "[{label:'unique findings',data:f,color:'#b00020'}],true);}\n"
    "try{draw();}catch(e){errors.push(String(e));document.body.dataset.errors=errors.join(' | ');}\n"
    "document.body.dataset.charts=String(document.querySelectorAll('canvas[data-drawn]').length);\n"
    "document.body.dataset.chartMs=String(Math.round(performance.now()-t0));\n"
    "document.body.dataset.loadMs=String(Math.round(performance.now()));\n"
    "document.querySelectorAll('button.copy').forEach(function(b){b.addEventListener('click',"
    "function(){var t=document.getElementById(b.dataset.target).textContent;"
    "if(navigator.clipboard)navigator.clipboard.writeText(t);b.textContent='copied';});});\n"
    "})();\n";

/* Write s into a <script> element: "</" becomes "<\/" so no string in it can
   close the element early. */
static void script_text(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<' && i + 1 < n && s[i + 1] == '/')
            fputs("<\\", f);
        else
            fputc(s[i], f);
    }
}

/* {unit: [engine...]} from each run's coverage unit. */
static json_t *units_json(const json_t *camp)
{
    json_t *units = json_object(), *r;
    size_t i;
    json_array_foreach(json_object_get(camp, "runs"), i, r) {
        const char *unit = str(json_object_get(r, "coverage"), "unit", NULL);
        const char *engine = str(r, "engine", "?");
        json_t *list;
        if (!unit)
            continue;
        list = json_object_get(units, unit);
        if (!list) {
            list = json_array();
            json_object_set_new(units, unit, list);
        }
        bool have = false;
        size_t k;
        json_t *e;
        json_array_foreach(list, k, e)
            have = have || !strcmp(json_string_value(e), engine);
        if (!have)
            json_array_append_new(list, json_string(engine));
    }
    return units;
}

static json_t *findings_times(const json_t *camp)
{
    json_t *t = json_array(), *x;
    size_t i;
    json_array_foreach(json_object_get(camp, "findings"), i, x)
        json_array_append_new(t, json_real(num(x, "first_seen_s")));
    return t;
}

/* The canvases: one per chart, coverage one per unit. */
static void canvases(FILE *f, const json_t *units)
{
    const char *unit;
    json_t *v;
    int i = 0;
    fputs("<div class=charts>"
          "<canvas id=c-rate width=540 height=280></canvas>"
          "<canvas id=c-corpus width=540 height=280></canvas>",
          f);
    json_object_foreach((json_t *)units, unit, v)
        fprintf(f, "<canvas id=c-cov-%d width=540 height=280></canvas>", i++);
    fputs("<canvas id=c-findings width=540 height=280></canvas></div>\n", f);
}

/* Chart.js as installed, or NULL (and a note on stderr) when it cannot be read. */
static char *load_chartjs(size_t *len)
{
    const char *path = getenv("SHMF_CHARTJS") ? getenv("SHMF_CHARTJS") : CHARTJS_DEFAULT;
    uint8_t *data;
    if (shmf_read_file(path, &data, len) != 0) {
        fprintf(stderr,
                "shmfuzz: report: %s not readable: campaign.html has no charts "
                "(Debian package libjs-chart.js; scripts/setup-deps.sh installs it)\n",
                path);
        return NULL;
    }
    return (char *)data;
}

void shmf__html_charts(FILE *f, const json_t *camp)
{
    json_t *units = units_json(camp);
    json_t *data = json_pack(
        "{s:O, s:O, s:o, s:O*, s:f}", "series", json_object_get(camp, "coverage_over_time"),
        "units", units, "findings_t", findings_times(camp), "budget_s",
        json_object_get(camp, "budget_s"), "duration_s", num(camp, "duration_s"));
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL, *lib;
    size_t lib_len = 0;
    fputs("<h2 id=charts>Over time</h2>\n", f);
    canvases(f, units);
    lib = load_chartjs(&lib_len);
    if (!lib)
        fputs("<p class=warn>Charts need Chart.js (Debian package libjs-chart.js), which was "
              "not installed when this report was written; the data is in campaign.json.</p>\n",
              f);
    fputs("<script type=\"application/json\" id=shmf-data>", f);
    script_text(f, text ? text : "{}", text ? strlen(text) : 2);
    fputs("</script>\n", f);
    if (lib) {
        fputs("<script>", f);
        script_text(f, lib, lib_len);
        fputs("</script>\n", f);
    }
    fputs("<script>", f);
    fputs(page_js, f);
    fputs("</script>\n", f);
    free(lib);
    free(text);
    json_decref(data);
    json_decref(units);
}

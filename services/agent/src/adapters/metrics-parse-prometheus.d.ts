/** Types of `parse-prometheus-text-format` (the package ships none): Prometheus text format → metric families. */
declare module "parse-prometheus-text-format" {
  interface PrometheusSample {
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    /** Histograms: cumulative count per upper bound (`le`). */
    buckets?: Record<string, string>;
    /** Summaries: value per quantile. */
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface PrometheusFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PrometheusSample[];
  }
  /** Parses an exposition; throws on text that is not valid Prometheus text format. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}

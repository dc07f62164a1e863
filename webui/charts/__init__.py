"""Server-rendered SVG charts: the graph view, the Gantt chart and the metrics charts."""

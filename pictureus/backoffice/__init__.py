"""The back office: the operations dashboard, its sections by task, and the operators' alerts.

- `lookups`: the filters a dashboard figure and its list share (stuck jobs, unrefunded failures);
- `workers`: which Celery workers are alive and what waits in each queue;
- `figures`: the dashboard's figures, in a constant number of queries;
- `charts`: bar charts drawn by the server as SVG;
- `site`: the admin site: the dashboard as its index, models grouped by task;
- `alerts`: the operators' emails, once per occurrence.
"""

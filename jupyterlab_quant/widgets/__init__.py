"""ipywidgets + bqplot components shared by notebooks, magics and Voila dashboards."""

"""Dashboard builders (ipywidgets layouts) and the Voila launcher for supervisors."""

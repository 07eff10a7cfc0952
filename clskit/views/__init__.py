"""Views: Display objects (compute, then draw) and the ipywidgets built on them."""

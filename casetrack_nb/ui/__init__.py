"""Voilà dashboards built from ipywidgets; the notebooks in notebooks/ only build and display them."""

from .clients import ClientsApp
from .home import HomeApp
from .importance import ImportanceApp
from .portfolio import PortfolioApp

__all__ = ["ClientsApp", "HomeApp", "ImportanceApp", "PortfolioApp"]

"""coop: a governance toolkit for worker co-operatives.

The core package. It never imports Flask or ``webui``: the portal, the REST API and the
command line are faces over the services defined here.
"""

__version__ = "0.1.0"

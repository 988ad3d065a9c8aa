"""acucli: an offline reference for acupuncture points, herbs and conditions."""

__version__ = "0.1.0"

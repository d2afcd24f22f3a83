"""A question-answering assistant over Chinese government planning reports."""

__version__ = "0.1.0"

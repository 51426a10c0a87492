"""Answering: from one question to its checked, cited Answer.

``pipeline`` is the spine and lists the stages in order; each other module is one stage or
the type it hands on (``request`` in, ``stream`` out, ``result`` builds the Answer once).
Nothing is imported here, so importing one stage does not load the others.
"""

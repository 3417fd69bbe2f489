"""Inference backends behind one interface; imported only inside the worker process."""

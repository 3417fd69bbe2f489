"""spark_diarizer: the diarize-chunk service of the Spark Control GPU add-on.

The HTTP front (aiohttp) never imports torch; inference runs in a worker process so a wedged
CUDA context can be killed and reloaded while the front keeps answering.
"""

__version__ = "0.1.0"

"""Learn: the model in use scores items; labels become a training set; retraining promotes only a model that
is not worse.

    score.py    items → Score with the model in use (the classify stage)
    labels.py   labels from buttons, commands, reviews and imports, resolved into a training set
    retrain.py  candidate vs current on held-out labels; promote only if not worse
"""

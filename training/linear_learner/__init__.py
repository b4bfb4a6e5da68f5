"""A local, numpy-only re-implementation of Amazon SageMaker's Linear Learner.

The offline twin of SageMaker trains models with this package instead of a training job,
so hyperparameters, validation messages, model selection and the prediction records follow
SageMaker's documented behaviour. Modules, each with one job:

* :mod:`.hyperparameters`: each hyperparameter declared once: name, type, default, check,
  what ``auto`` resolves to.
* :mod:`.losses`: the loss functions and their gradients, vectorised over models.
* :mod:`.optimizers`: SGD, Adam, RMSProp, the learning-rate schedule, L1's proximal step.
* :mod:`.selection`: threshold calibration and the binary selection criteria.
* :mod:`.parallel`: the parallel models, their hyperparameter grid and vectorised update.
* :mod:`.trainer`: the training loop, early stopping, model selection, convergence.
* :mod:`.metrics`: the winner's metrics under SageMaker's metric names; R^2 and accuracy.
* :mod:`.persistence`: one atomic ``model.npz`` per model, loadable without pickle.
* :mod:`.estimator`: :class:`LinearLearner`, a scikit-learn estimator that imports only
  numpy.

>>> from training.linear_learner import LinearLearner
>>> LinearLearner(predictor_type="regressor", epochs=10)
LinearLearner(predictor_type='regressor', epochs=10)
"""

from .estimator import LinearLearner, NotFittedError
from .hyperparameters import HyperparameterError
from .trainer import ConvergenceWarning, EpochReport

__all__ = [
    "ConvergenceWarning",
    "EpochReport",
    "HyperparameterError",
    "LinearLearner",
    "NotFittedError",
]

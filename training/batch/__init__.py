"""Batch prediction of whole files, the part both targets share: read, check, batch, join, write.

``python -m training transform MODEL INPUT`` reads a CSV file with a header row, or JSON Lines
of instances, checks every row with the catalog's own declarations (the API's rules), and
writes each row back with its prediction appended. Locally the rows go to the local endpoint
in mini-batches (``training/local/transform.py``); on AWS they become a Batch Transform job
(``training/aws/transform.py``). What is here knows nothing of either:

- ``request``: the command's options, checked before anything is read;
- ``reading``: the input, in chunks of rows with their line numbers, whatever its size;
- ``checking``: each row accepted (with its feature line for the model) or rejected;
- ``batching``: accepted rows packed into payloads no larger than the limit, in order;
- ``writing``: the output (input rows plus predictions), the rejected rows, the summary.
"""

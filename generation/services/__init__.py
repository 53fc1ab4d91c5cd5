"""Generation workflows, one module per concern (web tier: no torch or diffusers here).

From the bottom up, each importing only those above it:
- `plans`: the training and candidate settings a plan asks for, with the family defaults;
- `checks`: what stops a job (a cancel, withdrawn consent, a restriction);
- `erasure`: deleting training files and portraits, each with its receipt;
- `training`: the photos and training files a job may read and write (its own session's only);
- `gallery`: the delivered portraits, their version, favourites and the zip;
- `offers`: whether a delivered session's kept model can make more styles, until when, why not;
- `notify`: the emails to the customer and the operators;
- `addon_refunds`: extra styles that will not be made are paid back;
- `jobs`: a job's life: started, claimed, progressing, cancelled, retried, failed and refunded;
  training finished;
- `regenerate`: a delivered style made again, once;
- `addons`: selling more styles: the add-on order's checkout and its paid job;
- `watchdog`: jobs whose worker went silent or whose message was lost;
- `portraits`: the candidates a generation job makes and the ones it delivers;
- `timing`: progress and time-left estimates for the customer's pages.

Other apps call what this module re-exports; the generation app imports the modules.
"""

from .jobs import session_submit

__all__ = ["session_submit"]

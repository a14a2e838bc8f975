"""``make formgrader`` (``make lab ROLE=instructor``): the instructor's JupyterLab.

The same lab as the learner's, rooted at the repository so that nbgrader reads
``nbgrader_config.py`` (course ``mlcalc``, sources in ``solutions/``), with all
of nbgrader's tools: Nbgrader -> Formgrader, Create Assignment, Validate.
"""

load_subconfig("common_config.py")  # noqa: F821 (injected by traitlets)

c = get_config()  # noqa: F821

c.LabApp.default_url = "/lab/tree/solutions?formgrader=true"

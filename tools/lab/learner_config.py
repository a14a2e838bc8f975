"""``make lab``: the learner's JupyterLab.

The chapters and the learner's copies of the assignments (``my-exercises/``),
Validate on assignment notebooks, and none of the instructor's tools: nbgrader's
formgrader and Create Assignment are disabled, and so are the Assignment and
Course lists, which need an nbgrader exchange that a local clone does not have
(students on a JupyterHub with an exchange use the hub's own lab).
"""

load_subconfig("common_config.py")  # noqa: F821 (injected by traitlets)

c = get_config()  # noqa: F821

# Chapter 1 is the start page; the file browser shows its folder, book/.
c.LabApp.default_url = "/lab/tree/book/01-limits.md"

# Server side: no formgrader, no exchange lists; Validate comes from course_lab,
# which answers non-assignments with a sentence, and serves tools/lab/custom/custom.css.
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False,
    "course_lab": True,
}
c.LabApp.custom_css = True

# Front end: nbgrader's plugins except Validate.
LEARNER_DISABLED = [
    "@jupyter/nbgrader:menu",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
]


def learner_page_config(handler, page_config):
    page_config["disabledExtensions"] = sorted(set(page_config.get("disabledExtensions", [])) | set(LEARNER_DISABLED))
    return page_config


c.ServerApp.tornado_settings = {"page_config_hook": learner_page_config}

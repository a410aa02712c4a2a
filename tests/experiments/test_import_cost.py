"""What the workflow's light jobs import: planning, tables and the method registry must not import torch
(~2-3 s per process on a 2-core CPU; the Snakefile and every table job plan), and the figure
dispatcher imports a figure's module only when that figure is drawn."""

import subprocess
import sys


def _modules_after(code: str, *names: str) -> dict[str, bool]:
    probe = f"import sys\n{code}\nprint(' '.join(str(n in sys.modules) for n in {list(names)!r}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return dict(zip(names, (word == "True" for word in out.stdout.split())))


def test_planning_and_tables_import_no_torch():
    code = ("import xmem.experiments.plan, xmem.experiments.groups, xmem.reporting.tables\n"
            "from xmem.methods import get_method\n"
            "assert get_method('stcn').memory.top_k == 20 and get_method('xmem').memory.top_k == 30")
    assert _modules_after(code, "torch", "xmem.reporting.tables") == {"torch": False, "xmem.reporting.tables": True}


def test_stcn_package_imports_its_network_on_first_use():
    code = "import baselines.stcn\nbefore = 'torch' in sys.modules\nbaselines.stcn.STCNNetwork\nassert not before"
    assert _modules_after(code, "torch", "baselines.stcn.network") == {"torch": True, "baselines.stcn.network": True}


def test_figure_dispatcher_imports_figure_modules_on_use():
    assert _modules_after("import xmem.reporting.figures", "torch", "xmem.reporting.fig_consolidation") == {
        "torch": False, "xmem.reporting.fig_consolidation": False}

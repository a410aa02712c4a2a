"""The CPU's name and flags from a /proc/cpuinfo-like file."""

from __future__ import annotations

from xmem.utils import cpu

X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu avx2 avx512f avx512_bf16
"""
ARM = """processor\t: 0
Features\t: fp asimd bf16
CPU implementer\t: 0x41
Hardware\t: BCM2835
"""


def test_x86_name_and_flags(tmp_path, monkeypatch):
    (tmp_path / "cpuinfo").write_text(X86)
    monkeypatch.setattr(cpu, "CPUINFO", tmp_path / "cpuinfo")
    assert cpu.cpu_model() == "AMD EPYC"
    assert cpu.cpu_flags() == {"fpu", "avx2", "avx512f", "avx512_bf16"}


def test_arm_name_and_features(tmp_path, monkeypatch):
    (tmp_path / "cpuinfo").write_text(ARM)
    monkeypatch.setattr(cpu, "CPUINFO", tmp_path / "cpuinfo")
    assert cpu.cpu_model() == "BCM2835"  # "processor : 0" is a number, not a name
    assert cpu.cpu_flags() == {"fp", "asimd", "bf16"}


def test_no_cpuinfo(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu, "CPUINFO", tmp_path / "absent")
    assert cpu.cpu_flags() == set()
    assert cpu.cpu_model()  # platform's answer or "unknown", never empty

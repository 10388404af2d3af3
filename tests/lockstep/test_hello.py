"""lockstep.hello: who may join, decided from the Hello alone."""

from __future__ import annotations

from lockstep import check_hello
from protocol import PROTOCOL_VERSION, Code, Hello
from vm import VM_ABI


def hello(**kwargs) -> Hello:
    fields = dict(protocol_versions=(PROTOCOL_VERSION,), vm_abi=VM_ABI, host_abi="abi",
                  name="ann")
    fields.update(kwargs)
    return Hello(**fields)


def test_a_matching_hello_gets_the_version() -> None:
    assert check_hello(hello(), host_abi="abi") == PROTOCOL_VERSION


def test_each_mismatch_has_its_code() -> None:
    code, reason = check_hello(hello(protocol_versions=(999,)), host_abi="abi")
    assert code == Code.VERSION and "[999]" in reason
    code, reason = check_hello(hello(vm_abi="other-vm"), host_abi="abi")
    assert code == Code.VM_ABI and "'other-vm'" in reason
    code, reason = check_hello(hello(), host_abi="mods-abi")
    assert code == Code.HOST_ABI and "mods-abi" in reason

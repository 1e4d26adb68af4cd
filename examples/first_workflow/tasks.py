import canter


@canter.task(name="greet")
def greet(name: str) -> str:
    return f"Hello, {name}!"


@canter.task(name="shout")
def shout(text: str) -> str:
    return text.upper()


TASKS = [greet, shout]

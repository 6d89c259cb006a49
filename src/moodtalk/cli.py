def main() -> int:
    print("moodtalk 0.1.0")
    return 0

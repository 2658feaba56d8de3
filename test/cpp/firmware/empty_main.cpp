// The baseline of the size report: the same startup and flags, no runtime.
int main() { return 0; }

#include "tv.h"
int main(void) { return 0; }

// Fixture for the layering check's own test: this include must make it fail.
#include "services/beta/domain/beta.h"

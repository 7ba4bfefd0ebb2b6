
a cat€
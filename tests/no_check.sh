echo "Check (libcheck) is not installed: sudo apt-get install check"; exit 1

// postinstall placeholder: the optional OpenBLAS/LAPACKE addon build lands here (native/).
process.exit(0);

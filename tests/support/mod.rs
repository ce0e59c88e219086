pub mod slurm;

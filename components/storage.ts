/**
 * The one StorageClass the kit creates (encrypted gp3, WaitForFirstConsumer) for Prometheus and Alertmanager
 * volumes. No imports: the platform creates it, the serving and observability layers name it.
 */
export const GP3_STORAGE_CLASS = "omk-gp3";

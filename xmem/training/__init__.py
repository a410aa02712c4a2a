"""Training of XMem, its ablation variants and the STCN baseline (paper §3.6).

Public API:
    load_config, config_from_dict, TrainConfig, StageConfig, DataConfig  (config.py)
    run_training, TrainingResult                                         (trainer.py)
    TrainingBatch, ClipOutput, collate_samples                           (batch.py)
    xmem_clip_forward, reference_indices                                 (xmem_forward.py)
    MODEL_KINDS, ModelKind, get_model_kind, transfer_weights             (models.py)
    bootstrapped_cross_entropy, dice_loss, clip_loss, clip_iou           (losses.py)
    max_skip_at, keep_fraction_at, lr_at, lr_milestones                  (schedules.py)
    StaticClipDataset, VideoClipDataset, MixedClipDataset                (static_data.py, video_data.py)
    ClipBatchSampler, SampleKey                                          (sampling.py)
    ClipModel, training_step, freeze_batchnorm                           (step.py)

The command line is ``xmem train`` (cli.py); see docs/training.md.
"""

<?php $config = ['db' => 'secret'];
